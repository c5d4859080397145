'use strict';
module.exports = require('./load.cjs')(() => require('../dist/internal-node.js'), 'policygrad/internal');
