// An InspectOutput that keeps what `raft-node inspect` printed, for the inspect tests.
import type { InspectOutput } from '../../cmd/inspect.js';

/** An output sink whose `stdout` and `stderr` hold everything written to it. */
export function captured(): InspectOutput & { stdout: string; stderr: string } {
  const c = {
    stdout: '',
    stderr: '',
    out: (text: string) => void (c.stdout += text),
    err: (text: string) => void (c.stderr += text),
  };
  return c;
}
