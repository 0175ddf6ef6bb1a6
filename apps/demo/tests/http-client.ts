/** A tiny cookie-keeping HTTP client: one instance = one browser ("device"). */
export class Device {
  private cookie = '';
  socketId: string | undefined;

  constructor(private readonly baseUrl: string) {}

  get sessionCookie(): string {
    return this.cookie;
  }

  async request(
    method: string,
    path: string,
    body?: Record<string, string>,
    form = false,
    cookie = this.cookie,
  ): Promise<{ status: number; json: Record<string, unknown>; setCookie: string | null }> {
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    if (this.socketId) headers['x-socket-id'] = this.socketId;
    let payload: string | undefined;
    if (body) {
      headers['content-type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
      payload = form ? new URLSearchParams(body).toString() : JSON.stringify(body);
    }
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(payload ? { body: payload } : {}),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0] ?? '';
      this.cookie = pair.endsWith('=') ? '' : pair;
    }
    const text = await response.text();
    return {
      status: response.status,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      setCookie,
    };
  }

  login(email: string, password = 'password') {
    return this.request('POST', '/api/login', { email, password });
  }
}
