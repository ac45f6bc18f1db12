/**
 * `npm run user -- <email> <password>`: a confirmed user in the running local cloud's user pool, ready to sign
 * in (USER_PASSWORD_AUTH). Reads <dataDir>/endpoints.json (SLUICE_DATA_DIR, default .sluice).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoints } from './cloud';
import { createConfirmedUser } from './services/cognito-users';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [email, password] = process.argv.slice(2);
if (!email || !password) {
  console.error('usage: npm run user -- <email> <password>');
  process.exit(2);
}
const file = join(process.env.SLUICE_DATA_DIR ?? '.sluice', 'endpoints.json');
let endpoints: Endpoints;
try {
  endpoints = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.error(`Cannot read ${file}: start the local cloud first with \`npm start\`.`);
  process.exit(1);
}
try {
  const user = await createConfirmedUser({ ...endpoints, email, password });
  console.log(
    `Created ${email} (tenant ${user.sub}) in ${endpoints.userPoolId}: sign in with USER_PASSWORD_AUTH.`,
  );
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
}
