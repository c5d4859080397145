'use strict';
module.exports = require('./load.cjs')(() => require('../dist/inference.js'), 'policygrad/inference');
