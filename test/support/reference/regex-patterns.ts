// The regex mask patterns the generators use, each with the JavaScript reading the reference evaluator
// applies. Only constructs docs/policies.md says both engines read the same (bracket expressions, `.*+?`,
// anchors, alternation), ASCII ranges only (case folding of other letters is locale-dependent).
export const REGEX_PATTERNS: Record<string, string> = {
  '[aeiou]': '[aeiou]',
  '[0-9]+': '[0-9]+',
  '^.': '^.',
  '.$': '.$',
  'a|b': 'a|b',
  '[a-z]+': '[a-z]+',
  'x?y*': 'x?y*',
  "'": "'",
  '%': '%',
  '[|=]': '[|=]',
  é: 'é',
  '^$': '^$',
};
