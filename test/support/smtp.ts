import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** The session was upgraded with STARTTLS before the message. */
  secure: boolean;
}

/** Decides the answer to RCPT TO for one recipient: undefined accepts, an error with responseCode refuses. */
export type RcptPolicy = (address: string, attempt: number) => { code: number; message: string } | undefined;

export interface TestSmtpServer {
  url: string;
  port: number;
  messages: ReceivedMessage[];
  /** Messages received per recipient address (lower-cased). */
  countFor(address: string): number;
  setPolicy(policy: RcptPolicy | undefined): void;
  /** Runs at the end of each message's DATA, before the server answers 250 (and before it counts in `messages`). */
  setBeforeAccept(check: (() => Promise<void>) | undefined): void;
  /** While set, MAIL FROM waits for `release()`: lets a test stop every sender between messages. */
  hold(): void;
  release(): void;
  /** How many sessions wait at MAIL FROM right now. */
  held(): number;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server from npm) on loopback, no TLS, any credentials, storing what it receives. */
export async function startTestSmtpServer(options: { tls?: { key: string; cert: string } } = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const attempts = new Map<string, number>();
  let policy: RcptPolicy | undefined;
  let beforeAccept: (() => Promise<void>) | undefined;
  let holding = false;
  const waiting = new Set<() => void>();
  const server = new SMTPServer({
    disabledCommands: options.tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
    ...(options.tls ?? {}),
    authOptional: true,
    logger: false,
    size: 50 * 1024 * 1024,
    onMailFrom(_address: SMTPServerAddress, _session, callback) {
      if (!holding) return callback();
      const go = () => {
        waiting.delete(go);
        callback();
      };
      waiting.add(go);
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const key = address.address.toLowerCase();
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const refusal = policy?.(key, attempt);
      if (!refusal) return callback();
      const error = new Error(refusal.message) as Error & { responseCode: number };
      error.responseCode = refusal.code;
      return callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const accept = () => {
          const mailFrom = session.envelope.mailFrom;
          messages.push({
            from: mailFrom ? mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            raw: Buffer.concat(chunks),
            secure: session.secure,
          });
          callback();
        };
        if (!beforeAccept) return accept();
        beforeAccept().then(accept, (error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    countFor: (addr) => messages.filter((m) => m.to.includes(addr.toLowerCase())).length,
    setPolicy(p) {
      policy = p;
    },
    setBeforeAccept(check) {
      beforeAccept = check;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const go of [...waiting]) go();
    },
    held: () => waiting.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const go of [...waiting]) go();
        server.close(() => resolve());
      }),
  };
}
