/**
 * The four charts of a run's curves.png (paper Fig. 8): loss, top-1, learning rate, temperature.
 */
import type { LogRecord } from './log';
import { type Chart, writeCharts } from './plot';

const TRAIN: [number, number, number] = [31, 119, 180];
const TEST: [number, number, number] = [214, 39, 40];

export function curveCharts(history: readonly LogRecord[]): Chart[] {
  const at = (f: (r: LogRecord) => number | null): [number, number][] => history.map((r) => [r.epoch, f(r) ?? NaN]);
  const charts: Chart[] = [
    { title: 'loss', series: [{ label: 'train', color: TRAIN, points: at((r) => r.trainLoss) }, { label: 'test', color: TEST, points: at((r) => r.testLoss) }] },
    { title: 'top-1 %', series: [{ label: 'train', color: TRAIN, points: at((r) => r.trainTop1) }, { label: 'test', color: TEST, points: at((r) => r.testTop1) }] },
    { title: 'learning rate', logY: true, series: [{ label: 'lr', color: [44, 160, 44], points: at((r) => r.lr) }] },
  ];
  if (history.some((r) => r.temperature !== null)) {
    charts.push({ title: 'temperature', logY: true, series: [{ label: 'binarization', color: [148, 103, 189], points: at((r) => r.temperature) }] });
  }
  return charts;
}

/** Writes the loss, top-1, learning-rate and temperature curves of a run as a PNG. */
export function writeCurves(path: string, history: readonly LogRecord[]): void {
  writeCharts(path, curveCharts(history));
}
