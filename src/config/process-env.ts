/** The process's environment as config files see it: the one place that reads process.env. */
import type { EnvLookup } from './interpolate.ts';

export const processEnv: EnvLookup = (name) => process.env[name];
