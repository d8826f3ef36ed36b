// time("…") accepts the two formats Azure documents: W3C-DTF (ISO 8601 profile) and
// RFC 1123. Times without a zone are UTC; a fraction of a second has at most 6 digits, as
// Azure refuses more (a .NET round-trip "o" string with 7 does not parse there either).

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

const W3C = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*([Zz]|[+-]\d{2}:?\d{2})?)?)?)?$/;
const RFC1123 = /^(?:([A-Za-z]{3}),\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+(GMT|UTC|UT|Z|[+-]\d{4})$/i;

function build(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, zoneMinutes: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC maps years 0–99 to 1900–1999; set the year explicitly.
  const d = new Date(t);
  d.setUTCFullYear(year);
  return d.getTime() - zoneMinutes * 60_000;
}

function zoneOffset(zone: string | undefined): number {
  if (!zone || /^(z|gmt|utc|ut)$/i.test(zone)) return 0;
  const digits = zone.replace(":", "");
  const sign = digits.startsWith("-") ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}

/** Milliseconds since the epoch, or undefined when the text is neither W3C-DTF nor RFC 1123. */
export function parseTime(text: string): number | undefined {
  const s = text.trim();
  let m = W3C.exec(s);
  if (m) {
    const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    return build(+m[1]!, m[2] ? +m[2] : 1, m[3] ? +m[3] : 1, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, fraction, zoneOffset(m[8]));
  }
  m = RFC1123.exec(s);
  if (m) {
    const month = MONTHS.indexOf(m[3]!.toLowerCase()) + 1;
    if (month === 0) return undefined;
    return build(+m[4]!, month, +m[2]!, +m[5]!, +m[6]!, m[7] ? +m[7] : 0, 0, zoneOffset(m[8]));
  }
  return undefined;
}
