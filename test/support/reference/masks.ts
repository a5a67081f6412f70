// Mask functions from docs/policies.md, applied to one typed value; the result is the text the view shows.
import { createHash } from 'node:crypto';
import type { MaskFunction } from '../../../shared/policy/policy.js';
import { REGEX_PATTERNS } from './regex-patterns.js';
import {
  US_PER_DAY,
  civilFromDays,
  daysFromCivil,
  familyOf,
  renderText,
  typed,
  type RefType,
  type Typed,
} from './values.js';

export interface MaskContext {
  hashKey: string;
  /** The column's mask or its `otherwise` hashes: the column becomes varchar(max(64, width)). */
  hashes: boolean;
  dialect: 'postgres' | 'redshift';
}

/** The cell text; undefined = the docs leave it engine-dependent (any answer accepted). */
export function applyMask(
  fn: MaskFunction,
  type: RefType,
  raw: string | null,
  ctx: MaskContext,
): string | null | undefined {
  const fam = familyOf(type);
  if (raw === null && fn.kind !== 'constant') return null;
  switch (fn.kind) {
    case 'hash':
      return createHash('sha256')
        .update(ctx.hashKey + renderText(typed(type, raw!)), 'utf8')
        .digest('hex');
    case 'null':
      return null;
    case 'constant':
      return show(type, renderText(typed(type, fn.value)), ctx);
    case 'regex':
      return fam === 'string' ? regex(fn, renderText(typed(type, raw!)), type, ctx) : null;
    case 'partial':
      return fam === 'string' ? partial(fn, renderText(typed(type, raw!)), ctx) : null;
    case 'round': {
      const v = typed(type, raw!);
      if (['integer', 'numeric', 'float'].includes(fam))
        return fn.bucket === undefined ? null : show(type, renderText(roundNumber(v, fn.bucket, type)), ctx);
      if (fam === 'date' || fam === 'timestamp') return fn.unit === undefined ? null : renderText(truncate(v, fn.unit));
      return null;
    }
  }
}

const REDSHIFT_MAX_BYTES = 65_535;
const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * docs/policies.md "String lengths": on Redshift the masked column holds every branch's text in at most 65,535
 * bytes — the column's own n bytes (`text` is VARCHAR(256)), a hash 64, a constant its bytes; a partial mask
 * n × the mask character's bytes; a regex n × the replacement's bytes when it replaces one character by at most
 * one, else n + (n + 1) × its bytes (a longer replacement, or a pattern that can match the empty string). When
 * that is over 65,535 bytes, the partial and regex masks show NULL (VG313). PostgreSQL has no such bound.
 */
export function outgrowsRedshift(type: RefType, fns: readonly (MaskFunction | { kind: 'clear' })[]): boolean {
  if (type.kind !== 'varchar' && type.kind !== 'char' && type.kind !== 'text') return false;
  const n = type.kind === 'text' ? 256 : type.n;
  const bound = (fn: MaskFunction | { kind: 'clear' }): number => {
    switch (fn.kind) {
      case 'hash':
        return 64;
      case 'constant':
        return utf8(fn.value);
      case 'null':
        return 0;
      case 'partial':
        return n * Math.max(1, utf8(fn.maskChar));
      case 'regex': {
        const js = REGEX_PATTERNS[fn.pattern];
        const empty = js === undefined || new RegExp(`^(?:${js})$`, 'su').test('');
        const r = utf8(fn.replacement);
        return !empty && [...fn.replacement].length <= 1 ? n * Math.max(1, r) : n + (n + 1) * r;
      }
      default:
        return n;
    }
  };
  return Math.max(n, ...fns.map(bound)) > REDSHIFT_MAX_BYTES;
}

/** The text in the output column: its length limit (a longer result is cut, unless `cut` is false) and char padding. */
function show(type: RefType, text: string, ctx: MaskContext, options = { cut: true }): string {
  if (type.kind !== 'varchar' && type.kind !== 'char') return text;
  const limit = !options.cut ? Infinity : ctx.hashes ? Math.max(64, type.n) : type.n;
  const cut = [...text].slice(0, limit).join('');
  return type.kind === 'char' && !ctx.hashes ? cut.replace(/ +$/, '') : cut;
}

function regex(
  fn: Extract<MaskFunction, { kind: 'regex' }>,
  text: string,
  type: RefType,
  ctx: MaskContext,
): string | undefined {
  const js = REGEX_PATTERNS[fn.pattern];
  if (js === undefined) throw new Error(`reference: no JavaScript reading of pattern ${fn.pattern}`);
  if (fn.caseInsensitive && /[^\x00-\x7f]/.test(fn.pattern)) return undefined;
  const re = new RegExp(js, `su${fn.global ? 'g' : ''}${fn.caseInsensitive ? 'i' : ''}`);
  // docs/policies.md: a regex mask that can make text longer widens the column instead — never cut.
  return show(
    type,
    text.replace(re, () => fn.replacement),
    ctx,
    { cut: false },
  );
}

/**
 * docs: keep first/last `count` characters; the rest → maskChar (all but whitespace and punctuation with
 * preserveFormat).
 */
function partial(fn: Extract<MaskFunction, { kind: 'partial' }>, text: string, ctx: MaskContext): string | undefined {
  const chars = [...text];
  let undetermined = false;
  const hide = (part: string[]): string[] =>
    part.map((ch) => {
      if (!fn.preserveFormat) return fn.maskChar;
      if (/^[\s!-/:-@[-`{-~]$/.test(ch) && ch.charCodeAt(0) < 128) return ch;
      // Redshift's classes are ASCII-only: every other character is masked there. PostgreSQL's depend on its
      // locale for a non-ASCII character that is not a letter or digit (punctuation, symbols, spaces,
      // combining marks): kept or masked.
      if (ctx.dialect === 'postgres' && !/^[\p{L}\p{Nd}]$/u.test(ch)) undetermined = true;
      return fn.maskChar;
    });
  let out: string[];
  if (chars.length <= fn.count) out = hide(chars);
  else if (fn.keep === 'last')
    out = [...hide(chars.slice(0, chars.length - fn.count)), ...chars.slice(chars.length - fn.count)];
  else out = [...chars.slice(0, fn.count), ...hide(chars.slice(fn.count))];
  return undetermined ? undefined : out.join('');
}

// ------------------------------------------------------------------------------------------- rounding

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** Toward zero to a multiple of the bucket, exactly; then into the column type (numeric: half away from zero). */
function roundNumber(v: Typed, bucket: number, type: RefType): Typed {
  if (v.kind === 'float') {
    // docs: a value smaller than the bucket is 0; one of 2^53 buckets or more stays as it is.
    const r = Math.abs(v.v) < bucket ? 0 : Math.abs(v.v) >= bucket * 2 ** 53 ? v.v : Math.trunc(v.v / bucket) * bucket;
    return { kind: 'float', v: v.bits === 32 ? Math.fround(r) : r, bits: v.bits };
  }
  const [bText, bFrac = ''] = String(bucket).split('.');
  const bs = bFrac.length;
  const b = BigInt(`${bText}${bFrac}`); // bucket = b / 10^bs
  const [x, xs] = v.kind === 'int' ? [v.v, 0] : v.kind === 'numeric' ? [v.units, v.s] : [0n, 0];
  // x / 10^xs divided by b / 10^bs, truncated toward zero, times the bucket: exact in units of 10^-bs.
  const q = (x * pow10(bs)) / (b * pow10(xs)); // BigInt division truncates toward zero
  const units = q * b; // result in units of 10^-bs
  const targetScale = type.kind === 'numeric' ? type.s : 0;
  // docs: an integer column truncates the multiple toward zero (7.5 → 7; rounding could give back the clear 8).
  const rounded = type.kind === 'numeric' ? rescale(units, bs, targetScale) : units / pow10(bs);
  return type.kind === 'numeric' ? { kind: 'numeric', units: rounded, s: targetScale } : { kind: 'int', v: rounded };
}

/** Change scale, rounding half away from zero. */
function rescale(units: bigint, from: number, to: number): bigint {
  if (to >= from) return units * pow10(to - from);
  const d = pow10(from - to);
  const q = units / d;
  const r = units % d;
  const away = (r < 0n ? -r : r) * 2n >= d;
  return away ? q + (units < 0n ? -1n : 1n) : q;
}

/** DATE_TRUNC to the unit (timestamptz in UTC); a date stays a date. */
function truncate(v: Typed, unit: string): Typed {
  const us = v.kind === 'date' ? BigInt(v.days) * US_PER_DAY : v.kind === 'timestamp' ? v.us : 0n;
  let days = Number(us >= 0n ? us / US_PER_DAY : (us - US_PER_DAY + 1n) / US_PER_DAY);
  let tod = us - BigInt(days) * US_PER_DAY;
  const [y, m] = civilFromDays(days);
  switch (unit) {
    case 'year':
      days = daysFromCivil(y, 1, 1);
      tod = 0n;
      break;
    case 'quarter':
      days = daysFromCivil(y, m - ((m - 1) % 3), 1);
      tod = 0n;
      break;
    case 'month':
      days = daysFromCivil(y, m, 1);
      tod = 0n;
      break;
    // ISO weeks start on Monday; 1970-01-01 was a Thursday.
    case 'week':
      days -= (((days + 3) % 7) + 7) % 7;
      tod = 0n;
      break;
    case 'day':
      tod = 0n;
      break;
    case 'hour':
      tod -= tod % 3_600_000_000n;
      break;
    case 'minute':
      tod -= tod % 60_000_000n;
      break;
  }
  if (v.kind === 'date') return { kind: 'date', days };
  return { kind: 'timestamp', us: BigInt(days) * US_PER_DAY + tod, tz: v.kind === 'timestamp' && v.tz };
}
