/** The landscape figures: the heat map (layout, colour scale, contour lines) and the 3-D surface, and what they refuse. */
import { expect } from 'chai';
import { renderHeatmap, viridis } from '../../src/analysis/heatmap';
import { renderSurface } from '../../src/analysis/surface';

describe('analysis/heatmap', () => {
  const n = 5;
  const coordinates = [-1, -0.5, 0, 0.5, 1];
  const bowl = Array.from({ length: n * n }, (_, k) => 0.1 + ((k % n) - 2) ** 2 + (Math.floor(k / n) - 2) ** 2);

  it('colours the lowest loss dark and the highest bright, with contour lines between', () => {
    const img = renderHeatmap(bowl, { title: 'bowl', coordinates });
    expect(img.width).to.be.above(400);
    const pixel = (x: number, y: number): number[] => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    // The plot's top-left corner is the grid's (x = -1, y = +1): the highest loss, the top of the scale.
    expect(pixel(56, 34)).to.deep.equal([...viridis(1)]);
    // Near the centre (but off the red cross that marks the trained weights) the colour is dark.
    const dark = pixel(56 + 200 + 12, 34 + 200 + 12);
    expect(dark[0] + dark[1] + dark[2]).to.be.below(300);
    // Contour lines: along the middle row some pixels are lightened toward white.
    let lines = 0;
    for (let x = 56; x < 56 + 400; x++) {
      const [r, g, b] = pixel(x, 34 + 100);
      if (r > 200 && g > 200 && b > 150) lines++;
    }
    expect(lines).to.be.above(4);
  });

  it('refuses a grid of the wrong size, non-positive values on a log scale, and a colour range that does not rise', () => {
    expect(() => renderHeatmap(bowl.slice(1), { title: '', coordinates })).to.throw('renderHeatmap: expected 5x5 values for 5 coordinates, got 24');
    expect(() => renderHeatmap(bowl.map(() => 0), { title: '', coordinates })).to.throw(/no finite positive value/);
    expect(() => renderHeatmap(bowl, { title: '', coordinates, colorRange: [2, 1] })).to.throw(/colour range must rise/);
    expect(() => renderHeatmap(bowl.map((v) => v - 1), { title: '', coordinates, logScale: false })).to.not.throw();
  });

  it('maps the colour scale onto viridis, clamping outside [0, 1]', () => {
    expect(viridis(0)).to.deep.equal([68, 1, 84]);
    expect(viridis(1)).to.deep.equal([253, 231, 37]);
    expect(viridis(-3)).to.deep.equal(viridis(0));
    expect(viridis(0.0625)).to.deep.equal([70, 23, 103]);
  });
});

describe('analysis/surface', () => {
  it('draws the surface with the highest cells bright and the base outlined, and refuses a grid of the wrong size', () => {
    const n = 5;
    const coordinates = [-1, -0.5, 0, 0.5, 1];
    const bowl = Array.from({ length: n * n }, (_, k) => 0.1 + ((k % n) - 2) ** 2 + (Math.floor(k / n) - 2) ** 2);
    const img = renderSurface(bowl, { title: 'bowl', coordinates });
    let bright = 0;
    let dark = 0;
    for (let p = 0; p < img.width * img.height; p++) {
      const [r, g, b] = [img.data[3 * p], img.data[3 * p + 1], img.data[3 * p + 2]];
      if (g > 190 && b < 110) bright++;
      if (r < 80 && b > 130) dark++;
    }
    // The rim (high loss) is yellow-green, the bottom of the bowl (low loss) blue, and both show.
    expect(bright).to.be.above(500);
    expect(dark).to.be.above(20);
    expect(() => renderSurface(bowl.slice(2), { title: '', coordinates })).to.throw('renderSurface: expected 5x5 values for 5 coordinates, got 23');
  });
});
