// Plain JavaScript that any Node.js parses: an old Node must get one clear line, not a syntax error.
export const REQUIRED_MAJOR = 24;

/** The one-line message for a Node.js version too old to run AI Stack, or null when it is fine. */
export function nodeVersionProblem(version) {
  const major = Number(String(version).replace(/^v/, '').split('.')[0]);
  if (major >= REQUIRED_MAJOR) return null;
  return `ai-stack needs Node.js ${REQUIRED_MAJOR} or newer (this is ${version}): install Node.js ${REQUIRED_MAJOR}, or let npm provide it with "npm install --save-dev node@${REQUIRED_MAJOR}" and run ai-stack through npx or an npm script (in the AI Stack repository, "npm install" already does this).`;
}
