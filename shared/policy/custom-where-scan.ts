// The first step of reading a custom WHERE clause (shared/compiler/custom-where.ts has the whole story):
// outside quotes, refuse what must never reach the parser (comments, `;`, `$`, prefixed strings, stray
// backslashes) and replace the placeholders by marker calls, keeping every character's original position.
// Also: which columns and tags a clause names, so a GLOBAL policy applies only where they resolve.
import { loadModule, parseSync } from 'libpg-query';

await loadModule();

/** Placeholder → marker function name (and whether it takes parentheses). */
const PLACEHOLDERS: Record<string, { marker: string; call: boolean }> = {
  attributeValuesContains: { marker: 'vg_marker_attribute_values_contains', call: true },
  groupsContains: { marker: 'vg_marker_groups_contains', call: true },
  isInGroups: { marker: 'vg_marker_is_in_groups', call: true },
  hasAttribute: { marker: 'vg_marker_has_attribute', call: true },
  isUsingPurpose: { marker: 'vg_marker_is_using_purpose', call: true },
  columnTagged: { marker: 'vg_marker_column_tagged', call: true },
  username: { marker: 'vg_marker_username', call: false },
};

export class Rejected extends Error {
  constructor(
    readonly why: string,
    /** Offset in the scanned text (after placeholder substitution), or in the original when `original`. */
    readonly at: number | null,
    readonly original = false,
  ) {
    super(why);
  }
}

/** Replace placeholders outside quotes; refuse what must never reach the parser. `map[i]` = original offset. */
export function prescan(clause: string): { text: string; map: number[] } {
  let text = '';
  const map: number[] = [];
  const emit = (s: string, from: number): void => {
    for (const ch of s) {
      text += ch;
      map.push(from);
    }
  };
  let i = 0;
  while (i < clause.length) {
    const c = clause[i]!;
    if (c === "'" || c === '"') {
      // A string prefix (E'…' backslash escapes, U&'…', B'…', X'…', N'…') changes how the body is read: refuse.
      if (c === "'" && i > 0 && /[A-Za-z0-9_&]/.test(clause[i - 1]!))
        throw new Rejected("prefixed string literals (E'', U&'', B'', X'') are not allowed", i - 1, true);
      let j = i + 1;
      for (;;) {
        if (j >= clause.length) throw new Rejected('unterminated quote', i, true);
        if (clause[j] === c) {
          if (clause[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j += 1;
      }
      for (let k = i; k <= j; k++) emit(clause[k]!, k);
      i = j + 1;
      continue;
    }
    if (c === '-' && clause[i + 1] === '-') throw new Rejected('comments are not allowed', i, true);
    if (c === '/' && clause[i + 1] === '*') throw new Rejected('comments are not allowed', i, true);
    if (c === ';') throw new Rejected('";" is not allowed: a clause is one expression', i, true);
    if (c === '$') throw new Rejected('"$" (parameters, dollar quoting) is not allowed', i, true);
    if (c === '\\') throw new Rejected('backslash is not allowed outside string literals', i, true);
    if (c === '@') {
      const m = /^@([A-Za-z_][A-Za-z0-9_]*)/.exec(clause.slice(i));
      const ph = m ? PLACEHOLDERS[m[1]!] : undefined;
      if (!m || !ph) throw new Rejected(`unknown placeholder ${JSON.stringify(m ? m[0] : '@')}`, i, true);
      emit(ph.call ? ph.marker : `${ph.marker}()`, i);
      i += m[0].length;
      continue;
    }
    emit(c, i);
    i += 1;
  }
  return { text, map };
}

export const MARKER_COLUMN_TAGGED = 'vg_marker_column_tagged';

/** Column names and @columnTagged tags a clause refers to; null when it cannot be read (the compiler reports why). */
export function clauseReferences(clause: string): { columns: string[]; tags: string[] } | null {
  let tree: unknown;
  try {
    tree = parseSync(`SELECT 1 WHERE ${prescan(clause).text}`);
  } catch {
    return null;
  }
  const columns = new Set<string>();
  const tags = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n === null || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    const ref = o.ColumnRef as { fields?: { String?: { sval?: string } }[] } | undefined;
    if (ref?.fields?.length === 1 && ref.fields[0]?.String?.sval !== undefined) columns.add(ref.fields[0].String.sval);
    const call = o.FuncCall as
      { funcname?: { String?: { sval?: string } }[]; args?: { A_Const?: { sval?: { sval?: string } } }[] } | undefined;
    if (call?.funcname?.length === 1 && call.funcname[0]?.String?.sval === MARKER_COLUMN_TAGGED) {
      const tag = call.args?.[0]?.A_Const?.sval?.sval;
      if (tag !== undefined) tags.add(tag);
    }
    Object.values(o).forEach(walk);
  };
  walk(tree);
  return { columns: [...columns], tags: [...tags] };
}
