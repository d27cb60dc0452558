// V8 settings for a small, steady footprint. main.ts imports this module before anything else, so
// they hold from the first allocation of any size.
//
// After a full collection V8 lets the old generation grow by a factor it picks (up to 4× what
// survived when memory is plentiful), so under load RSS climbs to several times the live heap (25–35
// MB live, 230–260 MB resident, measured in bench/). A fixed 1.5× keeps the garbage that piles up
// between collections to about half the live heap, at no CPU cost the benchmark can see.
// NODE_OPTIONS refuses this flag, hence v8.setFlagsFromString; V8 reads it at each collection, so
// setting it at start-up is enough.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--heap-growing-percent=50');

// undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its baseline
// compiler (Liftoff), then recompiles the hot functions with its optimising one (TurboFan) in the
// background; on Node 20 that happens soon after the first upstream connection, and the compiler's
// working memory lifts RSS by 30–35 MB for a moment (126 → 162 MB, sampled every 10 ms after start):
// the process' peak until load takes it there. Liftoff's code is all llhttp gets instead (both
// flags: either alone still tiers up, on Node 20 and 24); llhttp is 0.3% of the gateway's CPU. The
// flags hold for every WebAssembly module in the process, and undici (this one and the one inside
// Node that serves global fetch) is the only one keygate runs.
setFlagsFromString('--no-wasm-dynamic-tiering');
setFlagsFromString('--no-wasm-tier-up');
