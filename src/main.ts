// The process entry. keygate's dependencies need a recent Node.js from their first import on
// (undici uses the global File, which Node 18 lacks: "ReferenceError: File is not defined"), and
// static imports run before any code in a module. So this one imports only the version check, and
// loads the gateway once the version is known to be enough.
import './v8-flags.js'; // first: V8 flags before anything allocates
import { unsupportedNode } from './node-version.js';

const problem = unsupportedNode(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
void import('./start.js');
