/**
 * A TCP proxy in front of PostgreSQL that a test can cut and restore, to see what the runner does
 * while its database is unreachable without stopping the server other tests share. Listens on
 * 127.0.0.1, port 0.
 */
import * as net from 'node:net';

export interface TcpProxy {
  port: number;
  /** `url` (a postgres:// URL) with its host and port replaced by the proxy's. */
  urlThrough(url: string): string;
  /**
   * Destroys every open connection. Then, with `refuse`, stops listening, so connecting fails
   * with ECONNREFUSED (nobody listens: a stopped server); without it, accepts new connections and
   * closes them at once (a server that goes away during the handshake).
   */
  cut(options?: { refuse?: boolean }): Promise<void>;
  /** Forwards new connections again (listening on the same port after a refusing cut). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let cut = false;
  let port = 0;

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A cut destroys sockets mid-stream; their errors are the point, not a failure of the test.
    socket.on('error', () => {});
  };

  const server = net.createServer((client) => {
    track(client);
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy();
  };

  await listen(0);
  return {
    get port() {
      return port;
    },
    urlThrough(url) {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    async cut(options = {}) {
      cut = true;
      if (options.refuse) {
        const closed = stopListening();
        destroyAll();
        await closed;
      } else {
        destroyAll();
      }
    },
    async restore() {
      cut = false;
      if (!server.listening) await listen(port);
    },
    async close() {
      const closed = stopListening();
      destroyAll();
      await closed;
    },
  };
}
