// policygrad is an ES module package. `require('policygrad')` lands here: it works where Node can require ES
// modules (Node >= 20.19 and >= 22.12); elsewhere it fails with a message saying how to import the package.
'use strict';

module.exports = function load(requireModule, specifier) {
  try {
    return requireModule();
  } catch (error) {
    if (error && (error.code === 'ERR_REQUIRE_ESM' || error.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
      const wrapped = new Error(
        `${specifier} is an ES module (ESM-only) package and this Node cannot require() it: ` +
          `use \`import { PPO } from '${specifier}'\` in an ES module (.mjs, or "type": "module"), ` +
          `or \`const { PPO } = await import('${specifier}')\` from CommonJS (or Node >= 20.19 / 22.12, where require() works)`,
      );
      wrapped.code = 'ERR_REQUIRE_ESM';
      throw wrapped;
    }
    throw error;
  }
};
