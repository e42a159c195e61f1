// The two Debian packages, each installed into its own fresh Debian 12 root. They share one
// debootstrap per test run (tests/helpers/chroot.ts) and run one after the other in this one
// file: as two files, the second held one of the suite's two slots idle for the whole
// debootstrap while it waited on the shared root's lock.

import { test } from 'node:test';
import { appliancePackageCase, appliancePackageCaseTitle } from './appliance-package-case.js';
import { clientPackageCase, clientPackageCaseTitle } from './client-package-case.js';

const MINUTE = 60_000;

test(appliancePackageCaseTitle, { timeout: 10 * MINUTE }, appliancePackageCase);
test(clientPackageCaseTitle, { timeout: 10 * MINUTE }, clientPackageCase);
