// The verdict on a disk's SMART record: passed, warning, failing or unknown, with reasons in
// plain language that name the evidence. Thresholds follow Backblaze's drive statistics
// (https://www.backblaze.com/blog/what-smart-stats-indicate-hard-drive-failures/): of the
// attributes 5, 187, 188, 197 and 198, any non-zero raw count multiplies the failure rate,
// and counts in the tens to hundreds put it well above 10% a year. Scrutiny's buckets
// (AnalogJ/scrutiny, metadata/ata_attribute_metadata.go) are the same data, finer grained.
// 188 alone and 199 (interface CRC errors: cabling) only ever warn: neither is the media.

import type { HealthReason, Verdict } from '../../../../core/src/api/disks.js';
import type { SmartRecord } from '../../../../core/src/api/smart.js';

export interface Assessment {
  verdict: Verdict;
  reasons: HealthReason[];
}

interface CounterRule {
  what: string;
  /** At or above: warning. */
  warn: number;
  /** At or above: failing (null: never by count alone). */
  fail: number | null;
  advice: string;
}

const ATA_RULES: Record<number, CounterRule> = {
  5: { what: 'reallocated sectors', warn: 1, fail: 100, advice: 'the disk has been replacing bad sectors with spares' },
  187: { what: 'reported uncorrectable errors', warn: 1, fail: 10, advice: 'reads the disk could not correct' },
  188: { what: 'command timeouts', warn: 100, fail: null, advice: 'often power or cabling; not by itself a media failure' },
  197: { what: 'sectors pending reallocation', warn: 1, fail: 10, advice: 'unstable sectors waiting to be remapped' },
  198: { what: 'offline uncorrectable sectors', warn: 1, fail: 10, advice: 'sectors that failed the offline scan' },
  199: { what: 'interface CRC errors', warn: 100, fail: null, advice: 'transfer errors between disk and controller: check the cable or backplane; not the platters' },
};

/** Counters whose growth is a trend worth a warning, with their plain name. */
export const TREND_COUNTERS: Record<string, string> = {
  'ata.5': 'reallocated sectors (attribute 5)',
  'ata.187': 'reported uncorrectable errors (attribute 187)',
  'ata.197': 'pending sectors (attribute 197)',
  'ata.198': 'offline uncorrectable sectors (attribute 198)',
  'ata.199': 'interface CRC errors (attribute 199)',
  'nvme.media_errors': 'NVMe media errors',
  'scsi.grown_defects': 'grown defects',
  'scsi.uncorrected_errors': 'uncorrected errors',
};

const WEAR_ATTRIBUTES = [177, 202, 231, 233];

const NVME_BITS: Array<{ severity: 'warning' | 'failing'; text: string }> = [
  { severity: 'failing', text: 'available spare fell below its threshold' },
  { severity: 'warning', text: 'temperature is outside its limits' },
  { severity: 'failing', text: 'NVM subsystem reliability is degraded' },
  { severity: 'failing', text: 'media has been placed in read-only mode' },
  { severity: 'failing', text: 'volatile memory backup device failed (power-loss protection)' },
  { severity: 'failing', text: 'persistent memory region is read-only or unreliable' },
];

const RANK: Record<HealthReason['severity'], number> = { info: 0, unknown: 0, warning: 1, failing: 2 };

/** Why a record holds no SMART data, in the words of smartctl where it gave some. */
export function noDataReason(r: SmartRecord): string {
  if (r.messages.length > 0) return r.messages.join('; ');
  if (r.exitStatus !== null && (r.exitStatus & 2) !== 0) return 'the device could not be opened';
  if (r.deviceClass === 'scsi' && /raid|volume/i.test(`${r.model ?? ''}`)) return 'this is a logical RAID volume, not a disk: ask the RAID controller about its member disks';
  return 'the device reports no SMART health status or attributes (SMART not available, or a logical/virtual device)';
}

export function assess(r: SmartRecord, baseline: { counters: Record<string, number>; at: number } | null = null, now = Date.now()): Assessment {
  if (!r.hasData) {
    return { verdict: 'unknown', reasons: [{ code: 'no_data', severity: 'unknown', message: `no SMART data: ${noDataReason(r)}` }] };
  }
  const reasons: HealthReason[] = [];
  const add = (code: string, severity: HealthReason['severity'], message: string, value?: number): void => {
    reasons.push(value === undefined ? { code, severity, message } : { code, severity, message, value });
  };

  if (r.overallPassed === false || (r.exitStatus !== null && (r.exitStatus & 8) !== 0)) {
    add('smart.overall', 'failing', 'SMART overall health self-assessment: FAILED (the drive itself predicts failure)');
  }

  for (const a of r.attributes) {
    if (a.whenFailed === 'now') {
      add(`ata.${a.id}.threshold`, a.prefailure ? 'failing' : 'warning',
        `attribute ${a.id} ${a.name} is at or below its failure threshold now (normalized ${a.value ?? '?'}, threshold ${a.thresh ?? '?'}, raw ${a.raw})`);
    } else if (a.whenFailed === 'past') {
      add(`ata.${a.id}.past`, a.prefailure ? 'warning' : 'info',
        `attribute ${a.id} ${a.name} fell to its threshold in the past (now normalized ${a.value ?? '?'}, threshold ${a.thresh ?? '?'}); nothing is failing now`);
    }
    const rule = ATA_RULES[a.id];
    if (rule && a.interpreted !== null && a.interpreted >= rule.warn) {
      const failing = rule.fail !== null && a.interpreted >= rule.fail;
      const packed = a.id === 188 && a.raw.trim() !== String(a.interpreted) ? ` (raw ${a.raw} packs three counters)` : '';
      add(`ata.${a.id}`, failing ? 'failing' : 'warning', `attribute ${a.id} ${a.name}: ${a.interpreted} ${rule.what}${packed}: ${rule.advice}`, a.interpreted);
    }
    if (WEAR_ATTRIBUTES.includes(a.id) && /Wear_Leveling|Wearout|Life_Left|Lifetime_Remain|Percent_Life/i.test(a.name) && a.value !== null && a.value <= 10) {
      add(`ata.${a.id}.wear`, 'warning', `attribute ${a.id} ${a.name}: ${a.value}% of rated life left`, 100 - a.value);
    }
  }

  if (r.nvme) {
    const n = r.nvme;
    NVME_BITS.forEach((b, bit) => {
      if ((n.criticalWarning & (1 << bit)) !== 0) add(`nvme.critical_warning.${bit}`, b.severity, `NVMe critical warning bit ${bit}: ${b.text}`, 1);
    });
    if (n.mediaErrors !== null && n.mediaErrors > 0) {
      add('nvme.media_errors', 'failing', `${n.mediaErrors} NVMe media errors (data the drive could not read back intact)`, n.mediaErrors);
    }
    if (n.availableSpare !== null && n.availableSpareThreshold !== null && n.availableSpareThreshold > 0) {
      if (n.availableSpare < n.availableSpareThreshold) {
        add('nvme.available_spare', 'failing', `available spare ${n.availableSpare}% is below its threshold of ${n.availableSpareThreshold}%`, 100 - n.availableSpare);
      } else if (n.availableSpare <= n.availableSpareThreshold + 10) {
        add('nvme.available_spare', 'warning', `available spare ${n.availableSpare}% is close to its threshold of ${n.availableSpareThreshold}%`, 100 - n.availableSpare);
      }
    }
    if (n.percentageUsed !== null && n.percentageUsed >= 90) {
      add('nvme.percentage_used', 'warning', `${n.percentageUsed}% of the rated write endurance is used`, n.percentageUsed);
    }
  }

  if (r.scsi) {
    const s = r.scsi;
    if (s.grownDefects !== null && s.grownDefects > 0) {
      add('scsi.grown_defects', s.grownDefects >= 10 ? 'failing' : 'warning', `${s.grownDefects} grown defects (sectors the drive has remapped since it left the factory)`, s.grownDefects);
    }
    const unc: Array<[string, number | null]> = [['read', s.uncorrectedRead], ['write', s.uncorrectedWrite], ['verify', s.uncorrectedVerify]];
    for (const [kind, n] of unc) {
      if (n !== null && n > 0) add(`scsi.uncorrected_${kind}`, 'failing', `${n} uncorrected ${kind} error${n === 1 ? '' : 's'}`, n);
    }
    if (s.percentageUsed !== null && s.percentageUsed >= 90) add('scsi.percentage_used', 'warning', `${s.percentageUsed}% of the rated endurance is used`, s.percentageUsed);
  }

  if (baseline) {
    const days = Math.max(1, Math.round((now - baseline.at) / 86_400_000));
    for (const [key, name] of Object.entries(TREND_COUNTERS)) {
      const before = baseline.counters[key];
      const current = r.counters[key];
      if (before !== undefined && current !== undefined && current > before) {
        add(`trend.${key}`, 'warning', `${name} grew from ${before} to ${current} in the last ${days} day${days === 1 ? '' : 's'}`, current);
      }
    }
  }

  if (r.temperatureC !== null && r.temperatureC >= 60) add('temperature', 'warning', `running hot: ${r.temperatureC} °C`, r.temperatureC);

  const worst = reasons.reduce((m, x) => Math.max(m, RANK[x.severity]), 0);
  const verdict: Verdict = worst === 2 ? 'failing' : worst === 1 ? 'warning' : 'passed';
  if (verdict === 'passed') {
    const notes = r.exitBits.filter((b) => /error log|past/.test(b));
    reasons.unshift({
      code: 'smart.ok', severity: 'info',
      message: `SMART health ${r.overallPassed === null ? 'not reported' : 'passed'}; ${evidenceSummary(r)}${notes.length > 0 ? ` (smartctl notes: ${notes.join('; ')})` : ''}`,
    });
  }
  reasons.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  return { verdict, reasons };
}

/** The key numbers of a healthy record, so that even `passed` names its evidence. */
function evidenceSummary(r: SmartRecord): string {
  const parts: string[] = [];
  for (const a of r.attributes) {
    if (!(a.id in ATA_RULES) || a.interpreted === null) continue;
    const packed = a.raw.trim() !== String(a.interpreted) && /^\d/.test(a.raw) ? ` (raw ${a.raw} decoded)` : '';
    parts.push(`${a.id} ${ATA_RULES[a.id]?.what}=${a.interpreted}${packed}`);
  }
  if (r.nvme) {
    const n = r.nvme;
    parts.push(`critical warning ${n.criticalWarning}`, `media errors ${n.mediaErrors ?? '?'}`);
    if (n.availableSpare !== null) parts.push(`spare ${n.availableSpare}% (threshold ${n.availableSpareThreshold ?? '?'}%)`);
    if (n.percentageUsed !== null) parts.push(`${n.percentageUsed}% endurance used`);
  }
  if (r.scsi) parts.push(`grown defects ${r.scsi.grownDefects ?? '?'}`, `uncorrected errors ${r.counters['scsi.uncorrected_errors'] ?? '?'}`);
  if (r.powerOnHours !== null) parts.push(`power-on ${r.powerOnHours} h`);
  return parts.length > 0 ? `no counter at a warning level: ${parts.join(', ')}` : 'no counter at a warning level';
}

/** The numbers an acknowledgement covers: a later reading is worse if any of them grew or a new reason appeared. */
export function evidenceOf(a: Assessment): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of a.reasons) {
    if (r.severity === 'warning' || r.severity === 'failing') out[r.code] = r.value ?? RANK[r.severity];
  }
  return out;
}
