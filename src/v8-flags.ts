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
