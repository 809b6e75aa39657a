/**
 * The URL of a module beside the caller, for `new Worker(...)`: the `.ts` source when running from the
 * repository, the built `.js` in the installed package. tsc rewrites the extensions of imports, not of
 * URLs, so a URL naming the `.ts` file points at a file the package does not ship.
 */
export function siblingModule(callerUrl: string, name: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}
