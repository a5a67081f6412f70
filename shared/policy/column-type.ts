// The Redshift column types the compiler knows. A data source column must declare one of these; anything
// else is rejected at validation (VG201) rather than guessed at, because a mask's output type and a view's
// signature are computed from the declared type (fail closed on what we do not understand).
//
// Accepted spellings (case-insensitive, extra spaces ignored) and their canonical form:
//   varchar(n) | character varying(n) | nvarchar(n)       → varchar(n)   (1 ≤ n ≤ 65535)
//   varchar | character varying                           → varchar(256) (Redshift's default length)
//   char(n) | character(n) | nchar(n) | bpchar(n)         → char(n)      (1 ≤ n ≤ 4096)
//   char | character | nchar | bpchar                     → char(1)
//   text                                                  → text         (Redshift stores it as varchar(256))
//   smallint | int2                                       → int2
//   integer | int | int4                                  → int4
//   bigint | int8                                         → int8
//   numeric(p,s) | decimal(p,s) | numeric(p) | decimal(p) → numeric(p,s) (1 ≤ p ≤ 38, 0 ≤ s ≤ p)
//   numeric | decimal                                     → numeric(18,0) (Redshift's default)
//   real | float4                                         → float4
//   double precision | float8 | float                     → float8
//   boolean | bool                                        → boolean
//   date                                                  → date
//   timestamp | timestamp without time zone               → timestamp
//   timestamptz | timestamp with time zone                → timestamptz
//   time | time without time zone                         → time
//   timetz | time with time zone                          → timetz
// Redshift reference: https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html

export type ColumnTypeFamily = 'string' | 'integer' | 'numeric' | 'float' | 'boolean' | 'date' | 'timestamp' | 'time';

export interface ColumnType {
  /** Canonical SQL spelling, valid in both PostgreSQL and Redshift. */
  sql: string;
  family: ColumnTypeFamily;
  /** Longest text rendering in characters (used to size a hashed or text-cast column); null = unbounded. */
  textWidth: number | null;
}

const fixed: Record<string, ColumnType> = {
  text: { sql: 'text', family: 'string', textWidth: null },
  int2: { sql: 'int2', family: 'integer', textWidth: 6 },
  int4: { sql: 'int4', family: 'integer', textWidth: 11 },
  int8: { sql: 'int8', family: 'integer', textWidth: 20 },
  float4: { sql: 'float4', family: 'float', textWidth: 32 },
  float8: { sql: 'float8', family: 'float', textWidth: 32 },
  boolean: { sql: 'boolean', family: 'boolean', textWidth: 5 },
  date: { sql: 'date', family: 'date', textWidth: 13 },
  timestamp: { sql: 'timestamp', family: 'timestamp', textWidth: 32 },
  timestamptz: { sql: 'timestamptz', family: 'timestamp', textWidth: 40 },
  time: { sql: 'time', family: 'time', textWidth: 15 },
  timetz: { sql: 'timetz', family: 'time', textWidth: 21 },
};

const aliases: Record<string, string> = {
  smallint: 'int2',
  integer: 'int4',
  int: 'int4',
  bigint: 'int8',
  real: 'float4',
  'double precision': 'float8',
  float: 'float8',
  bool: 'boolean',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
};

const varcharRe = /^(?:varchar|character varying|nvarchar)(?:\((\d+)\))?$/;
const charRe = /^(?:char|character|nchar|bpchar)(?:\((\d+)\))?$/;
const numericRe = /^(?:numeric|decimal)(?:\((\d+)(?:,(\d+))?\))?$/;

/** Parse a declared column type; null when it is not one the compiler knows. */
export function parseColumnType(declared: string): ColumnType | null {
  const t = declared
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1');
  const known = fixed[aliases[t] ?? t];
  if (known) return known;
  let m = varcharRe.exec(t);
  if (m) {
    const n = m[1] === undefined ? 256 : Number(m[1]);
    return n >= 1 && n <= 65535 ? { sql: `varchar(${n})`, family: 'string', textWidth: n } : null;
  }
  m = charRe.exec(t);
  if (m) {
    const n = m[1] === undefined ? 1 : Number(m[1]);
    return n >= 1 && n <= 4096 ? { sql: `char(${n})`, family: 'string', textWidth: n } : null;
  }
  m = numericRe.exec(t);
  if (m) {
    const p = m[1] === undefined ? 18 : Number(m[1]);
    const s = m[2] === undefined ? 0 : Number(m[2]);
    if (p < 1 || p > 38 || s > p) return null;
    // sign, digits, decimal point — and the leading zero PostgreSQL writes when every digit is a fraction
    // digit (numeric(2,2): `-0.55`); one character short, a hash or a key read a truncated text.
    return { sql: `numeric(${p},${s})`, family: 'numeric', textWidth: p + 2 + (s === p ? 1 : 0) };
  }
  return null;
}
