'use strict';
module.exports = require('./load.cjs')(() => require('../dist/internal.js'), 'policygrad/internal');
