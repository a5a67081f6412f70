// The closing lines of a CI run, whatever npm test's exit code: the counts from vitest's JSON report, each
// failed test, each unhandled error (message and stack: these fail a run in which every test passed) from
// .vitest-unhandled.json, errors vitest printed outside any reporter (a global setup that could not start, an
// unhandled rejection in the main process, a teardown error), and one line saying why the exit code is what it is.
// Usage: node .ci/closing-lines.mjs <npm test exit code> <file holding npm test's output>
import { existsSync, readFileSync } from 'node:fs';

const [status, logFile] = [Number(process.argv[2]), process.argv[3]];
const MAX_STACK_LINES = 25;
const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null);
const clip = (s, n = MAX_STACK_LINES) => {
  const lines = String(s ?? '').split('\n');
  return lines.length > n
    ? [...lines.slice(0, n), `    … ${lines.length - n} more lines`].join('\n')
    : lines.join('\n');
};
const out = [];
const say = (line = '') => out.push(line);

const report = readJson('.vitest-report.json');
const unhandled = readJson('.vitest-unhandled.json');
let failedTests = 0;
if (report && report.numTotalTests === 0) {
  say('no test ran');
} else if (report) {
  const skipped = report.numPendingTests + report.numTodoTests;
  say(
    `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''} (` +
      `${report.numTotalTests} tests in ${report.testResults.length} files)`,
  );
  for (const file of report.testResults) {
    for (const t of file.assertionResults.filter((a) => a.status === 'failed')) {
      failedTests++;
      say(`FAILED ${file.name.replace(`${process.cwd()}/`, '')} > ${t.fullName}: ${clip(t.failureMessages?.[0], 3)}`);
    }
    // An error outside any test (an import, a beforeAll/afterAll hook) fails the file without a failed test.
    if (file.status === 'failed' && file.message) {
      failedTests++;
      say(`FAILED ${file.name.replace(`${process.cwd()}/`, '')} (outside its tests): ${clip(file.message, 5)}`);
    }
  }
} else {
  say('no test report: vitest stopped before the end of the run');
}

for (const [i, e] of (unhandled ?? []).entries()) {
  say(
    `UNHANDLED ${i + 1}/${unhandled.length}: ${e.type}${e.testFile ? ` in ${e.testFile}` : ''}` +
      `${e.testName ? ` (last test: ${e.testName})` : ''}`,
  );
  say(clip(e.stack && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}\n${e.stack}`));
}

// What vitest printed but no reporter saw: blocks from a banner or "error during close" to the next divider.
const printedOutside = [];
if (logFile && existsSync(logFile)) {
  // eslint-disable-next-line no-control-regex
  const lines = readFileSync(logFile, 'utf8')
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n');
  const start = /⎯ (Unhandled Rejection|Unhandled Error|Uncaught Exception|Startup Error) ⎯|^error during close/;
  const reported = (unhandled ?? []).length > 0;
  for (let i = 0; i < lines.length; i++) {
    if (!start.test(lines[i]) || (reported && !/^error during close/.test(lines[i]))) continue;
    let j = i + 1;
    while (j < lines.length && j < i + MAX_STACK_LINES && !/^⎯{8,}\s*$/.test(lines[j]) && !start.test(lines[j])) j++;
    printedOutside.push(lines.slice(i, j).join('\n').trim());
    i = j - 1;
  }
}
for (const block of printedOutside) say(`PRINTED BY VITEST:\n${block}`);

const why = [];
if (failedTests) why.push(`${failedTests} failed test(s) or file(s)`);
if (unhandled?.length) why.push(`${unhandled.length} unhandled error(s) outside the tests`);
if (!report || report.numTotalTests === 0) why.push('no test ran');
if (printedOutside.length) why.push(`${printedOutside.length} error(s) printed outside the reporters`);
const nothingRecorded = ': no failed test or error recorded — see the output above';
say(`npm test exit code ${status}${why.length ? `: ${why.join('; ')}` : status === 0 ? '' : nothingRecorded}`);
console.log(out.join('\n'));
