/** Secrets carried by webhook URLs (util/url-secrets.ts, shared with the formatting of templates). */
export { displayUrl, lastPathPart, urlDigest, urlSecrets } from '../util/url-secrets.ts';
