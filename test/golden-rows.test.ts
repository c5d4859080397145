import { describeGoldenRows, GOLDEN_CASES } from './golden-rows.js';

describeGoldenRows(
  'golden rows: every algorithm reproduces its recorded rows and final parameters bit for bit',
  GOLDEN_CASES,
  new URL('./fixtures/golden-rows.json', import.meta.url),
);
