// Who is signed in, and which screen the app shows: first-run setup, login, or the app.

import type { SessionUser } from '$core/api/auth.js';
import type { AuthService } from './api/services.js';
import { messageOf } from './messages.js';

export type AuthPhase = 'checking' | 'setup' | 'login' | 'ready' | 'unreachable';

export class AuthStore {
  phase = $state<AuthPhase>('checking');
  user = $state<SessionUser | null>(null);
  problem = $state<string | null>(null);

  constructor(private readonly service: AuthService) {}

  async check(): Promise<void> {
    try {
      const s = await this.service.status();
      this.user = s.user;
      this.problem = null;
      this.phase = s.user ? 'ready' : s.setupRequired ? 'setup' : 'login';
    } catch (err) {
      this.problem = messageOf(err);
      this.phase = 'unreachable';
    }
  }

  async setup(code: string, username: string, password: string): Promise<void> {
    this.user = await this.service.setup({ code, username, password });
    this.phase = 'ready';
  }

  async login(username: string, password: string): Promise<void> {
    this.user = await this.service.login({ username, password });
    this.phase = 'ready';
  }

  async logout(): Promise<void> {
    await this.service.logout();
    this.signedOut();
  }

  /** The session ended elsewhere (a 401, or the live socket was closed for it). */
  sessionEnded(): void {
    if (this.phase !== 'ready') return;
    this.signedOut();
    void this.check();
  }

  private signedOut(): void {
    this.user = null;
    this.phase = 'login';
  }
}
