// An empty script: what Deno itself costs to start and exit (tests/bench/startup_bench.ts).
