import { test } from 'node:test';
import { scenarios } from './scenarios.js';

for (const [name, run] of Object.entries(scenarios)) test(`scripted schedule: ${name}`, () => run());
