// Which alerts reach a target (issue 15): an alert's kind is its key's part before ':'
// (`rpo.breach:web01` -> `rpo.breach`); a rule holds when the severity is at least its
// minimum (default warning) and, where it lists kinds or groups, the alert is among them.

import type { AlertSeverity } from '../../../core/src/api/jobs.js';
import type { NotifyRule } from '../../../core/src/api/notify.js';
import { SEVERITY_RANK } from '../jobs/alerts.js';

export const DEFAULT_MIN_SEVERITY: AlertSeverity = 'warning';

export interface RoutedEvent {
  kind: string;
  severity: AlertSeverity;
  group: string | null;
}

export function alertKind(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

/** `rpo.*` matches every kind starting `rpo.`; anything else matches exactly. */
function kindMatches(pattern: string, kind: string): boolean {
  return pattern.endsWith('.*') ? kind.startsWith(pattern.slice(0, -1)) : pattern === kind;
}

export function ruleMatches(rule: NotifyRule, event: RoutedEvent): boolean {
  if (SEVERITY_RANK[event.severity] < SEVERITY_RANK[rule.minSeverity ?? DEFAULT_MIN_SEVERITY]) return false;
  if (rule.kinds && rule.kinds.length > 0 && !rule.kinds.some((k) => kindMatches(k, event.kind))) return false;
  if (rule.groups && rule.groups.length > 0 && (event.group === null || !rule.groups.includes(event.group))) return false;
  return true;
}
