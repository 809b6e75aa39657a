// An SMTP server that accepts everything: a benchmark's receiving end, in its own process so the senders it
// measures share it on equal terms and it never shares an event loop with them. Prints `port N` once listening.
// With --receipts it also prints `received <epoch ms> <recipient,…>` the moment each message is accepted (end of
// DATA, before the 250): the time of delivery as the server sees it. Started through bench/lib/smtp.ts.
import { SMTPServer } from 'smtp-server';

const receipts = process.argv.includes('--receipts');
const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  onData(stream, session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      // Wall clock with sub-millisecond resolution, comparable with the same expression in another process.
      if (receipts)
        process.stdout.write(
          `received ${performance.timeOrigin + performance.now()} ${session.envelope.rcptTo.map((r) => r.address.toLowerCase()).join(',')}\n`,
        );
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`);
});
