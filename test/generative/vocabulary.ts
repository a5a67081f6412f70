// The shared vocabularies of the generators: names that policies, users and rows have in common (so they
// meet), each with quotes, `|`, `%`, `=`, `.` or non-ASCII characters somewhere.
export const GROUPS = ['hr', 'analysts', 'a|b', '50%', 'k=v', "o'neil", 'Zoë', 'x.y', '%7C'];
export const ATTR_KEYS = ['country', 'dept', 'k=1', 'a|b'];
export const ATTR_VALUES = ['US', 'DE', "it's", 'x|y', '100%', '=', 'Zoë', '1', 'true'];
export const PURPOSES = ['fraud', 'Marketing', 'p|1', 'p=2', '%'];
export const PROJECTS = ['proj-a', 'proj|b', 'proj=c'];
export const DS_IDS = ['ds-a', 'ds|b', "ds'c"];
export const TAGS = ['PII', 'PII.Email', 'PII.SSN', 'Geo', 'Geo.Country', 'PIIX', 'Fin|ance', 'a.b.c', "q'uote"];
export const COLUMN_NAMES = [
  'id',
  'name',
  'Amount',
  'e-mail',
  "o'brien",
  'a|b',
  '%pct',
  'k=v',
  'x.y',
  'Straße',
  'select',
  'sp ace',
  'dq"x',
];
