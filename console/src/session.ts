// The signed-in session. The access token lives only in this module's memory. The refresh token is
// kept in sessionStorage (this tab only, gone when the tab closes) so that a reload or a deep link
// does not force a new sign-in: the admin API returns it in the JSON body, and an httpOnly cookie
// cannot be set through the transcoder. The strict CSP (no inline or third-party script) is what
// keeps other script from reading it; refresh tokens are single use, and a reused one ends the
// whole session on the server.
import { Code, ConnectError } from "@connectrpc/connect";
import { admin } from "./api.js";
import type { User } from "./gen/voketag/admin/v1/admin_service_pb.js";
import { Role } from "./gen/voketag/common/v1/enums_pb.js";

const REFRESH_KEY = "voketag.console.refresh";
const REFRESH_EXPIRY_KEY = "voketag.console.refreshExpiresAt";
// Renew this long before the access token expires, so a call never starts with a stale token.
const RENEW_MARGIN_MS = 60_000;

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  refreshExpiresIn: number;
  user?: User;
}

type Listener = (user: User | null) => void;

class Session {
  private token = "";
  private expiresAt = 0;
  private renewing: Promise<string> | null = null;
  private timer: number | undefined;
  private listeners: Listener[] = [];
  user: User | null = null;

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  role(): Role {
    return this.user?.role ?? Role.UNSPECIFIED;
  }

  is(...roles: Role[]): boolean {
    return roles.includes(this.role());
  }

  /** Restores the session of this tab from its refresh token; false when there is none left. */
  async restore(): Promise<boolean> {
    if (!this.storedRefreshToken()) {
      return false;
    }
    try {
      await this.renew();
      return true;
    } catch {
      return false;
    }
  }

  async signIn(email: string, password: string): Promise<void> {
    this.accept(await admin.login({ email, password }));
  }

  async signOut(): Promise<void> {
    try {
      await admin.logout({ refreshToken: this.storedRefreshToken() ?? "" });
    } finally {
      this.clear();
    }
  }

  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.expiresAt) {
      return this.token;
    }
    return this.renew();
  }

  /** One refresh at a time: a refresh token is single use, two concurrent uses would end the session. */
  renew(): Promise<string> {
    this.renewing ??= this.refresh().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  /** The server refused the session: forget it and send the user to sign-in, back here afterwards. */
  expire(): void {
    const wasSignedIn = this.user !== null || this.storedRefreshToken() !== null;
    this.clear();
    if (wasSignedIn && !location.pathname.startsWith("/console/signin")) {
      const next = location.pathname + location.search;
      history.pushState(null, "", `/console/signin?expired=1&next=${encodeURIComponent(next)}`);
      dispatchEvent(new PopStateEvent("popstate"));
    }
  }

  private async refresh(): Promise<string> {
    const refreshToken = this.storedRefreshToken();
    if (!refreshToken) {
      this.expire();
      throw new ConnectError("signed out", Code.Unauthenticated);
    }
    try {
      this.accept(await admin.refreshToken({ refreshToken }));
    } catch (error) {
      if (ConnectError.from(error).code === Code.Unauthenticated) {
        this.expire();
      }
      throw error;
    }
    return this.token;
  }

  private storedRefreshToken(): string | null {
    const expiresAt = Number(sessionStorage.getItem(REFRESH_EXPIRY_KEY) ?? "0");
    if (Date.now() >= expiresAt) {
      return null;
    }
    return sessionStorage.getItem(REFRESH_KEY);
  }

  private accept(pair: TokenPair): void {
    this.token = pair.accessToken;
    this.expiresAt = Date.now() + pair.expiresIn * 1000 - RENEW_MARGIN_MS;
    sessionStorage.setItem(REFRESH_KEY, pair.refreshToken);
    sessionStorage.setItem(REFRESH_EXPIRY_KEY, String(Date.now() + pair.refreshExpiresIn * 1000));
    const changed = this.user?.id !== pair.user?.id || this.user?.role !== pair.user?.role;
    this.user = pair.user ?? null;
    window.clearTimeout(this.timer);
    // Renew in the background, so an open screen keeps working without the user typing a password.
    this.timer = window.setTimeout(() => void this.renew().catch(() => undefined), this.expiresAt - Date.now());
    if (changed) {
      this.listeners.forEach((listener) => listener(this.user));
    }
  }

  private clear(): void {
    window.clearTimeout(this.timer);
    this.token = "";
    this.expiresAt = 0;
    sessionStorage.removeItem(REFRESH_KEY);
    sessionStorage.removeItem(REFRESH_EXPIRY_KEY);
    if (this.user !== null) {
      this.user = null;
      this.listeners.forEach((listener) => listener(null));
    }
  }
}

export const session = new Session();
