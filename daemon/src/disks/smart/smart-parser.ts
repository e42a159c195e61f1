// Normalizes a `smartctl --json` capture (ATA, NVMe, SCSI/SAS, USB bridges; smartctl 7.0-7.4,
// including trimmed pre-7.3 captures) into a SmartRecord. stdout is parsed whatever the exit
// status: smartctl's status is a bitmask and its JSON is still there. A scan output
// (`--scan[-open]`) is recognized as such, never taken for a device.

import { HavenError } from '../../../../core/src/errors.js';
import type { DeviceClass, NvmeHealth, ScsiHealth, SelfTestEntry, SmartAttribute, SmartRecord, SmartScan } from '../../../../core/src/api/smart.js';
import { cleanText, wwnFromSmartctl } from '../identity.js';
import { arr, at, bool, intString, JsonSyntaxError, num, obj, parseExactJson, str, type ExactJson } from './exact-json.js';
import { decodeTemperature, interpretRaw } from './vendor-raw.js';

export type ParsedCapture = { kind: 'device'; record: SmartRecord } | { kind: 'scan'; scan: SmartScan };

const EXIT_BITS = [
  'the command line did not parse',
  'the device could not be opened, or it is in a low-power mode',
  'a SMART or other command to the device failed, or a checksum was wrong',
  'SMART status check says DISK FAILING',
  'prefail attributes are at or below their threshold now',
  'some attributes were at or below their threshold in the past',
  'the device error log has entries',
  'the self-test log has errors',
];

export function decodeExitStatus(status: number | null): string[] {
  if (status === null) return [];
  return EXIT_BITS.filter((_, bit) => (status & (1 << bit)) !== 0);
}

/** The ATA counters whose growth matters (Backblaze's five, plus 199 for cabling). */
export const TRACKED_ATA = [5, 187, 188, 197, 198, 199];

export function parseSmartctlJson(text: string): ParsedCapture {
  let root: ExactJson;
  try {
    root = parseExactJson(text);
  } catch (err) {
    throw new HavenError('SMART_CAPTURE_INVALID', { detail: err instanceof JsonSyntaxError ? `invalid JSON: ${err.message}` : String(err) });
  }
  if (!obj(root)) throw new HavenError('SMART_CAPTURE_INVALID', { detail: 'the top level is not an object' });
  const argv = arr(at(root, 'smartctl', 'argv')).map(str);
  if (Array.isArray(at(root, 'devices')) || argv.some((a) => a === '--scan' || a === '--scan-open')) {
    return { kind: 'scan', scan: parseScan(root) };
  }
  if (!obj(at(root, 'device')) && !obj(at(root, 'smartctl')) && at(root, 'model_name') === undefined && at(root, 'serial_number') === undefined) {
    throw new HavenError('SMART_CAPTURE_INVALID', { detail: 'no smartctl, device or identity fields' });
  }
  return { kind: 'device', record: parseDevice(root) };
}

function parseScan(root: ExactJson): SmartScan {
  return {
    devices: arr(at(root, 'devices')).flatMap((d) => {
      const name = str(at(d, 'name'));
      const type = str(at(d, 'type'));
      return name && type ? [{ name, type, protocol: str(at(d, 'protocol')) }] : [];
    }),
  };
}

function deviceClass(root: ExactJson): DeviceClass {
  const protocol = str(at(root, 'device', 'protocol'));
  const type = str(at(root, 'device', 'type')) ?? '';
  if (protocol === 'NVMe' || type === 'nvme' || obj(at(root, 'nvme_smart_health_information_log'))) return 'nvme';
  if (protocol === 'ATA' || obj(at(root, 'ata_smart_attributes'))) return 'ata';
  if (protocol === 'SCSI' || type === 'scsi' || at(root, 'scsi_grown_defect_list') !== undefined || at(root, 'scsi_error_counter_log') !== undefined) return 'scsi';
  return 'unknown';
}

function attributes(root: ExactJson): SmartAttribute[] {
  return arr(at(root, 'ata_smart_attributes', 'table')).flatMap((a): SmartAttribute[] => {
    const id = num(at(a, 'id'));
    if (id === null) return [];
    const rawString = str(at(a, 'raw', 'string')) ?? intString(at(a, 'raw', 'value')) ?? '';
    return [{
      id,
      name: str(at(a, 'name')) ?? `Attribute_${id}`,
      value: num(at(a, 'value')),
      worst: num(at(a, 'worst')),
      thresh: num(at(a, 'thresh')),
      whenFailed: str(at(a, 'when_failed')) ?? '',
      prefailure: bool(at(a, 'flags', 'prefailure')) ?? false,
      raw: rawString,
      rawValue: intString(at(a, 'raw', 'value')) ?? rawString,
      interpreted: interpretRaw(id, rawString),
    }];
  });
}

const NVME_WARNING_BITS = [
  'available spare below threshold',
  'temperature outside its limits',
  'NVM subsystem reliability degraded',
  'media placed in read-only mode',
  'volatile memory backup device failed',
  'persistent memory region read-only or unreliable',
];

function nvmeHealth(root: ExactJson): NvmeHealth | null {
  const log = at(root, 'nvme_smart_health_information_log');
  if (!obj(log)) return null;
  const cw = num(at(log, 'critical_warning')) ?? 0;
  return {
    criticalWarning: cw,
    criticalWarningBits: NVME_WARNING_BITS.filter((_, bit) => (cw & (1 << bit)) !== 0),
    availableSpare: num(at(log, 'available_spare')),
    availableSpareThreshold: num(at(log, 'available_spare_threshold')),
    percentageUsed: num(at(log, 'percentage_used')),
    mediaErrors: num(at(log, 'media_errors')),
    errorLogEntries: num(at(log, 'num_err_log_entries')),
    unsafeShutdowns: num(at(log, 'unsafe_shutdowns')),
  };
}

function scsiHealth(root: ExactJson): ScsiHealth | null {
  const defects = num(at(root, 'scsi_grown_defect_list'));
  const log = at(root, 'scsi_error_counter_log');
  if (defects === null && !obj(log)) return null;
  return {
    grownDefects: defects,
    uncorrectedRead: num(at(log, 'read', 'total_uncorrected_errors')),
    uncorrectedWrite: num(at(log, 'write', 'total_uncorrected_errors')),
    uncorrectedVerify: num(at(log, 'verify', 'total_uncorrected_errors')),
    percentageUsed: num(at(root, 'scsi_percentage_used_endurance_indicator')),
  };
}

function selfTestResult(passed: boolean | null, text: string): string {
  if (/progress/i.test(text)) return 'running';
  if (passed === true || /^completed( without error)?$/i.test(text.trim()) || /without error/i.test(text)) return 'passed';
  if (/abort/i.test(text)) return 'aborted';
  if (/interrupt/i.test(text)) return 'interrupted';
  if (passed === false || /fail|error/i.test(text)) return 'failed';
  return 'unknown';
}

function selfTests(root: ExactJson, cls: DeviceClass): { tests: SelfTestEntry[] | null; note: string | null } {
  const ata = at(root, 'ata_smart_self_test_log', 'standard', 'table');
  if (Array.isArray(ata)) {
    return {
      tests: ata.map((e) => {
        const description = str(at(e, 'status', 'string')) ?? '';
        return {
          type: str(at(e, 'type', 'string')) ?? 'unknown', result: selfTestResult(bool(at(e, 'status', 'passed')), description), description,
          powerOnHours: num(at(e, 'lifetime_hours')), remainingPercent: num(at(e, 'status', 'remaining_percent')), failingLba: intString(at(e, 'lba')),
        };
      }),
      note: ataSelfTestRunning(root),
    };
  }
  const nvme = at(root, 'nvme_self_test_log');
  if (obj(nvme)) {
    return {
      tests: arr(at(nvme, 'table')).map((e) => {
        const description = str(at(e, 'self_test_result', 'string')) ?? '';
        return {
          type: str(at(e, 'self_test_code', 'string')) ?? 'unknown', result: selfTestResult(num(at(e, 'self_test_result', 'value')) === 0 ? true : null, description),
          description, powerOnHours: num(at(e, 'power_on_hours')), remainingPercent: null, failingLba: intString(at(e, 'lba')),
        };
      }),
      note: num(at(nvme, 'current_self_test_operation', 'value')) ? `self-test in progress, ${100 - (num(at(nvme, 'current_self_test_completion_percent')) ?? 0)}% remaining` : null,
    };
  }
  const scsi = Object.keys(obj(root) ?? {}).filter((k) => /^scsi_self_test_\d+$/.test(k)).sort((a, b) => Number(a.slice(15)) - Number(b.slice(15)));
  if (scsi.length > 0) {
    return {
      tests: scsi.map((k) => {
        const e = at(root, k);
        const description = str(at(e, 'result', 'string')) ?? '';
        return {
          type: str(at(e, 'code', 'string')) ?? 'unknown', result: selfTestResult(num(at(e, 'result', 'value')) === 0 ? true : null, description),
          description, powerOnHours: num(at(e, 'power_on_time', 'hours')), remainingPercent: null, failingLba: intString(at(e, 'failed_lba')),
        };
      }),
      note: null,
    };
  }
  if (cls === 'nvme') return { tests: null, note: 'this smartctl has no JSON self-test log for NVMe (it came in 7.4)' };
  return { tests: null, note: 'the capture holds no self-test log' };
}

/** "self-test in progress, 10% remaining" while an ATA self-test runs (status 0xF_), else null. */
function ataSelfTestRunning(root: ExactJson): string | null {
  const status = num(at(root, 'ata_smart_data', 'self_test', 'status', 'value'));
  if (status === null || status >> 4 !== 0xf) return null;
  return `self-test ${str(at(root, 'ata_smart_data', 'self_test', 'status', 'string')) ?? 'in progress'}`;
}

function hasSmartData(root: ExactJson, cls: DeviceClass, attrs: SmartAttribute[]): boolean {
  if (bool(at(root, 'smart_support', 'available')) === false) return false;
  if (typeof at(root, 'smart_status', 'passed') === 'boolean') return true;
  if (attrs.length > 0) return true;
  if (cls === 'nvme' && obj(at(root, 'nvme_smart_health_information_log'))) return true;
  return at(root, 'scsi_grown_defect_list') !== undefined || obj(at(root, 'scsi_error_counter_log')) !== null;
}

function parseDevice(root: ExactJson): SmartRecord {
  const cls = deviceClass(root);
  const attrs = attributes(root);
  const byId = (id: number): SmartAttribute | undefined => attrs.find((a) => a.id === id);
  const temp = byId(194) ?? byId(190);
  const decoded = temp ? decodeTemperature(temp.raw) : { current: null, min: null, max: null };
  const nvme = nvmeHealth(root);
  const scsi = scsiHealth(root);
  const exitStatus = num(at(root, 'smartctl', 'exit_status'));
  const version = arr(at(root, 'smartctl', 'version')).map(num).filter((n): n is number => n !== null);
  const wwnNode = at(root, 'wwn');
  const wwn = obj(wwnNode) ? wwnFromSmartctl({ naa: num(at(wwnNode, 'naa')) ?? 0, oui: num(at(wwnNode, 'oui')) ?? 0, id: num(at(wwnNode, 'id')) ?? 0 }) : null;
  const model = cleanText(str(at(root, 'model_name')) ?? str(at(root, 'scsi_model_name'))
    ?? ([str(at(root, 'scsi_vendor')) ?? str(at(root, 'vendor')), str(at(root, 'scsi_product')) ?? str(at(root, 'product'))].filter(Boolean).join(' ') || null));
  const tests = selfTests(root, cls);
  const counters: Record<string, number> = {};
  for (const id of TRACKED_ATA) {
    const v = byId(id)?.interpreted;
    if (v !== null && v !== undefined) counters[`ata.${id}`] = v;
  }
  if (nvme) {
    if (nvme.mediaErrors !== null) counters['nvme.media_errors'] = nvme.mediaErrors;
    if (nvme.percentageUsed !== null) counters['nvme.percentage_used'] = nvme.percentageUsed;
    if (nvme.availableSpare !== null) counters['nvme.available_spare'] = nvme.availableSpare;
    if (nvme.errorLogEntries !== null) counters['nvme.error_log_entries'] = nvme.errorLogEntries;
  }
  if (scsi) {
    if (scsi.grownDefects !== null) counters['scsi.grown_defects'] = scsi.grownDefects;
    const unc = [scsi.uncorrectedRead, scsi.uncorrectedWrite, scsi.uncorrectedVerify].filter((n): n is number => n !== null);
    if (unc.length > 0) counters['scsi.uncorrected_errors'] = unc.reduce((a, b) => a + b, 0);
  }
  const temperatureNow = num(at(root, 'temperature', 'current'));
  return {
    deviceClass: cls,
    deviceType: str(at(root, 'device', 'type')),
    deviceName: str(at(root, 'device', 'name')),
    model,
    serial: cleanText(str(at(root, 'serial_number'))),
    wwn,
    firmware: cleanText(str(at(root, 'firmware_version')) ?? str(at(root, 'scsi_revision')) ?? str(at(root, 'revision'))),
    capacityBytes: num(at(root, 'user_capacity', 'bytes')) ?? num(at(root, 'nvme_total_capacity')),
    rotationRate: num(at(root, 'rotation_rate')),
    smartctlVersion: version.length > 0 ? version.join('.') : null,
    exitStatus,
    exitBits: decodeExitStatus(exitStatus),
    messages: arr(at(root, 'smartctl', 'messages')).map((m) => str(at(m, 'string'))).filter((s): s is string => s !== null),
    hasData: hasSmartData(root, cls, attrs),
    overallPassed: bool(at(root, 'smart_status', 'passed')),
    // A drive reporting 0 °C has no sensor (RAID volumes, virtual SCSI), not a frozen disk.
    temperatureC: temperatureNow !== null && temperatureNow > 0 ? temperatureNow : decoded.current,
    temperatureMinC: num(at(root, 'temperature', 'lifetime_min')) ?? decoded.min,
    temperatureMaxC: num(at(root, 'temperature', 'lifetime_max')) ?? decoded.max,
    powerOnHours: num(at(root, 'power_on_time', 'hours')) ?? byId(9)?.interpreted ?? null,
    powerCycles: num(at(root, 'power_cycle_count')) ?? byId(12)?.interpreted ?? null,
    attributes: attrs,
    nvme,
    scsi,
    selfTests: tests.tests,
    selfTestNote: tests.note,
    counters,
  };
}

