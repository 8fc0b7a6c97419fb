import bench from '/work/main/bench/data';
await bench.run();
