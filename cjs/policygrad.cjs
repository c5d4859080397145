'use strict';
module.exports = require('./load.cjs')(() => require('../dist/node.js'), 'policygrad');
