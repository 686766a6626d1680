/** A channel member: a user (all of its connections are one member), or a connection without one. */
export type Member = { id: string; anonymous: boolean } | { id: null; anonymous: true; connection: string };

export interface PresenceEvent {
  type: 'joined' | 'left';
  user: Member;
}

export interface WirePresence extends PresenceEvent {
  channel: string;
}

type MessageListener<M> = (message: M, from: Member) => void;
type PresenceListener = (event: PresenceEvent, members: Member[]) => void;

/** A broadcast channel with presence (docs/realtime.md, "Channels and presence"). */
export interface Channel<M = unknown> {
  readonly name: string;
  /** The members as this client knows them: the join answer, kept up to date by presence events. */
  readonly members: Member[];
  /** Joined on the current connection. */
  readonly joined: boolean;
  /** Joins (resolves with the members, you included); rejoined by itself after a reconnect. */
  join(): Promise<Member[]>;
  leave(): Promise<void>;
  /** Sends to every other member (not echoed to you); join first. */
  publish(message: M): Promise<void>;
  on(event: 'message', listener: MessageListener<M>): () => void;
  on(event: 'presence', listener: PresenceListener): () => void;
}

const memberKey = (m: Member) => (m.id !== null ? `u:${m.id}` : `c:${m.connection}`);

export class ChannelRef<M> implements Channel<M> {
  /** The app asked to be in it (kept across reconnects until `leave`). */
  wanted = false;
  joined = false;
  private joining: Promise<void> | null = null;
  private readonly memberMap = new Map<string, Member>();
  private readonly messageListeners = new Set<MessageListener<M>>();
  private readonly presenceListeners = new Set<PresenceListener>();

  constructor(
    readonly name: string,
    private readonly send: <R>(event: string, payload: unknown) => Promise<R>,
  ) {}

  get members(): Member[] {
    return [...this.memberMap.values()];
  }

  async join(): Promise<Member[]> {
    this.wanted = true;
    try {
      await this.rejoin();
    } catch (e) {
      this.wanted = false;
      throw e;
    }
    return this.members;
  }

  /** Joins on the current connection; members who came or went meanwhile are told as presence events. */
  rejoin(): Promise<void> {
    this.joining ??= this.joinNow().finally(() => {
      this.joining = null;
    });
    return this.joining;
  }

  private async joinNow(): Promise<void> {
    const { members } = await this.send<{ members: Member[] }>('join', { channel: this.name });
    if (!this.wanted) return;
    this.joined = true;
    const next = new Map(members.map((m) => [memberKey(m), m]));
    const left = [...this.memberMap].filter(([k]) => !next.has(k)).map(([, m]) => m);
    const came = [...next].filter(([k]) => !this.memberMap.has(k)).map(([, m]) => m);
    const first = this.memberMap.size === 0;
    this.memberMap.clear();
    for (const [k, m] of next) this.memberMap.set(k, m);
    if (first) return;
    for (const user of left) this.tell({ type: 'left', user });
    for (const user of came) this.tell({ type: 'joined', user });
  }

  async leave(): Promise<void> {
    const was = this.joined;
    this.wanted = false;
    this.reset();
    if (was) await this.send('leave', { channel: this.name });
  }

  async publish(message: M): Promise<void> {
    await this.send('publish', { channel: this.name, message });
  }

  on(event: 'message', listener: MessageListener<M>): () => void;
  on(event: 'presence', listener: PresenceListener): () => void;
  on(event: 'message' | 'presence', listener: MessageListener<M> | PresenceListener): () => void {
    const set = (event === 'message' ? this.messageListeners : this.presenceListeners) as Set<typeof listener>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  onMessage(message: unknown, from: Member): void {
    if (!this.joined) return;
    for (const l of this.messageListeners) safely(() => l(message as M, from));
  }

  onPresence(p: WirePresence): void {
    if (!this.joined) return;
    const k = memberKey(p.user);
    if (p.type === 'joined') {
      if (this.memberMap.has(k)) return;
      this.memberMap.set(k, p.user);
    } else if (!this.memberMap.delete(k)) return;
    this.tell({ type: p.type, user: p.user });
  }

  onDisconnected(): void {
    this.joined = false;
  }

  reset(): void {
    this.joined = false;
    this.memberMap.clear();
  }

  private tell(event: PresenceEvent): void {
    const members = this.members;
    for (const l of this.presenceListeners) safely(() => l(event, members));
  }
}

function safely(f: () => void): void {
  try {
    f();
  } catch (e) {
    (globalThis as { reportError?: (e: unknown) => void }).reportError?.(e);
  }
}
