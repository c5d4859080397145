/** The library's version (package.json's), for run configs and `policygrad --version`. */
export const VERSION = '0.1.0';
