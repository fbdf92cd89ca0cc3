#!/usr/bin/env node
/** The `artifacts` executable (package.json `bin`). Everything happens in ./index.ts. */
import { runCli } from "./index.js";

await runCli();
