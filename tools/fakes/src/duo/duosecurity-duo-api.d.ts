// Types for the parts of Duo's official client (which ships none) that the specs use as the
// signing oracle. Production code does not import the package.
declare module '@duosecurity/duo_api/lib/duo_sig' {
  type Params = Record<string, string | string[]>;
  export function sign(ikey: string, skey: string, method: string, host: string, path: string, params: Params, date: string): string;
  export function _canonParams(params: Params): string;
  export function _canonicalize(method: string, host: string, path: string, params: Params, date: string): string;
}
