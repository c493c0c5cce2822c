import { RequestClient } from 'twilio';
// Type-only: the SDK exports the class publicly but keeps its option types in the module.
import type SdkRequestClient from 'twilio/lib/base/RequestClient';
import type SdkResponse from 'twilio/lib/http/response';

/** `api.twilio.com`, and the product, edge and region variants the SDK derives from it. */
const TWILIO_ORIGIN = /^https:\/\/([a-z0-9-]+\.)*twilio\.com(?=[/?]|$)/i;

/**
 * Sends everything the twilio SDK would send to `https://*.twilio.com` to `baseUrl` instead.
 *
 * Why this way: twilio-node has no base-URL option; every resource builds absolute
 * `https://api.twilio.com/2010-04-01/...` URIs and hands them to the client's `httpClient`.
 * That `httpClient` is a documented constructor option (`twilio(sid, token, { httpClient })`),
 * and Twilio's maintainers suggest exactly this to point the SDK at a mock
 * (twilio/twilio-node#326). Subclassing the SDK's own `RequestClient` keeps everything else
 * real (Basic auth header, form encoding, User-Agent, axios, error handling and
 * `RestException`), and only the origin of the URI changes. Path and query stay as they are, so
 * the fake sees exactly what Twilio would.
 *
 * Pitfall: when `httpClient` is given, the SDK ignores its own `autoRetry`, `timeout`,
 * `keepAlive`… options, because those only configure the default client. Pass them here.
 *
 * The telephony worker selects this by configuration (a `TWILIO_API_BASE_URL`-style setting
 * that is unset in production), never by checks inside the provider code.
 */
export class RedirectingRequestClient extends RequestClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string, options: SdkRequestClient.RequestClientOptions = {}) {
    super(options);
    const parsed = new URL(baseUrl);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`baseUrl must be http(s), got ${baseUrl}`);
    this.baseUrl = parsed.origin + parsed.pathname.replace(/\/+$/, '');
  }

  /** The URI this client will really call for a URI the SDK built. */
  redirect(uri: string): string {
    return uri.replace(TWILIO_ORIGIN, this.baseUrl);
  }

  override request<TData>(opts: SdkRequestClient.RequestOptions<TData>): Promise<SdkResponse<TData>> {
    return super.request({ ...opts, uri: this.redirect(opts.uri) });
  }
}
