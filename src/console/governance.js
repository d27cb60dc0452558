// What needs attention about keys, in words: each row's risk badges, the one-line summary above the
// table and the quick filters' labels. The gateway judges the risks (ApiKey.risks); the numbers in
// the words come from its policy (viewer.policy), so "Older than 90 days" follows MAX_KEY_AGE_DAYS.

const DAY_MS = 86_400_000;
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** The gateway's defaults, until its first answer says what they are here. */
let policy = { expiryWarningDays: 30, maxKeyAgeDays: 90, unusedDays: 90 };

/** Every risk, most urgent first: the order of a row's badges and of the summary. */
export const RISKS = ['EXPIRED', 'EXPIRING_SOON', 'NEVER_EXPIRES', 'OLDER_THAN_POLICY', 'UNUSED', 'FULL_ACCESS'];

/** Takes the gateway's policy, and writes its numbers into the labels that show them. */
export function setPolicy(next) {
  policy = next;
  for (const node of document.querySelectorAll('[data-policy]')) node.textContent = String(policy[node.dataset.policy]);
}

/** A risk of one key as a badge's words. */
export function riskLabel(risk, key, now = Date.now()) {
  switch (risk) {
    case 'EXPIRED':
      return 'Expired';
    case 'EXPIRING_SOON':
      return `Expires ${relative.format(Math.max(0, Math.ceil((Date.parse(key.expiresAt) - now) / DAY_MS)), 'day')}`;
    case 'NEVER_EXPIRES':
      return 'Never expires';
    case 'OLDER_THAN_POLICY':
      return `Older than ${policy.maxKeyAgeDays} days`;
    case 'UNUSED':
      return key.lastUsedAt ? `Unused for ${Math.floor((now - Date.parse(key.lastUsedAt)) / DAY_MS)} days` : 'Never used';
    case 'FULL_ACCESS':
      return 'Full access';
    default:
      return risk; // a risk newer than this page: its name is still better than nothing
  }
}

/** How many keys have each risk, as one sentence; the first part names the noun ("2 keys expire…; 5 never expire"). */
export function riskSummary(counts, total) {
  if (total === 0) return '';
  const parts = RISKS.filter((risk) => counts.get(risk) > 0).map((risk, i) => phrase(risk, counts.get(risk), i === 0));
  return parts.length > 0 ? `${parts.join('; ')}.` : `No key needs attention: none expires within ${policy.expiryWarningDays} days, is older than ${policy.maxKeyAgeDays} days or unused.`;
}

function phrase(risk, n, first) {
  const one = n === 1;
  const subject = first ? `${n} ${one ? 'key' : 'keys'}` : String(n);
  switch (risk) {
    case 'EXPIRED':
      return `${subject} ${one ? 'has' : 'have'} expired`;
    case 'EXPIRING_SOON':
      return `${subject} ${one ? 'expires' : 'expire'} within ${policy.expiryWarningDays} days`;
    case 'NEVER_EXPIRES':
      return `${subject} never ${one ? 'expires' : 'expire'}`;
    case 'OLDER_THAN_POLICY':
      return `${subject} ${one ? 'is' : 'are'} older than ${policy.maxKeyAgeDays} days`;
    case 'UNUSED':
      return `${subject} ${one ? 'has' : 'have'} not been used for ${policy.unusedDays} days`;
    case 'FULL_ACCESS':
      return `${subject} ${one ? 'has' : 'have'} full access`;
    default:
      return `${subject}: ${risk}`;
  }
}
