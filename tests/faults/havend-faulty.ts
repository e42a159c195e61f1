// A test entry point for havend: the real daemon, with its segment reads going through
// SegmentReadFaults, steered by the rules file named in HAVEN_TEST_SEGMENT_FAULTS. Only tests
// start it (startDaemon's `entry`); the installed havend has no such switch.

import { main } from '../../daemon/src/cli/main.js';
import { installDaemonSegmentFs } from '../../daemon/src/store/segment-io.js';
import { SegmentReadFaults } from './segment-read-faults.js';

const rules = process.env.HAVEN_TEST_SEGMENT_FAULTS;
if (!rules) throw new Error('HAVEN_TEST_SEGMENT_FAULTS must name the rules file');
installDaemonSegmentFs(new SegmentReadFaults(rules));
process.exit(await main(process.argv.slice(2)));
