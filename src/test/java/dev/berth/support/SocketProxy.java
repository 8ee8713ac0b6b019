package dev.berth.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A dependency that can be taken away and given back without touching the shared service behind it: a byte pipe
 * from a loopback TCP port or a unix socket of the test's to the real service (Keycloak's port, libvirtd's socket).
 * {@link #stop()} closes the listener and every open connection, as the service going down does; {@link #start()}
 * listens on the same address again.
 */
public final class SocketProxy implements AutoCloseable {
    private final SocketAddress listen;
    private final SocketAddress target;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocketChannel server;

    private SocketProxy(SocketAddress listen, SocketAddress target) throws IOException {
        this.listen = listen;
        this.target = target;
        start();
    }

    /** tcp://127.0.0.1:(free port) → 127.0.0.1:targetPort */
    public static SocketProxy tcp(int targetPort) throws IOException {
        return new SocketProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), PackagedApp.freePort()),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
    }

    /** tcp://127.0.0.1:listenPort → 127.0.0.1:targetPort */
    public static SocketProxy tcp(int listenPort, int targetPort) throws IOException {
        return new SocketProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
    }

    /** a unix socket at {@code listen} → the unix socket {@code target} */
    public static SocketProxy unix(Path listen, Path target) throws IOException {
        return new SocketProxy(UnixDomainSocketAddress.of(listen), UnixDomainSocketAddress.of(target));
    }

    public int port() {
        return ((InetSocketAddress) listen).getPort();
    }

    public synchronized void start() throws IOException {
        if (listen instanceof UnixDomainSocketAddress u) {
            Files.deleteIfExists(u.getPath());
        }
        ServerSocketChannel s = ServerSocketChannel.open(listen instanceof UnixDomainSocketAddress ? StandardProtocolFamily.UNIX : StandardProtocolFamily.INET);
        if (listen instanceof InetSocketAddress) {
            s.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
        }
        s.bind(listen, 64);
        server = s;
        Thread.ofVirtual().name("socket-proxy").start(() -> {
            while (s.isOpen()) {
                try {
                    SocketChannel client = s.accept();
                    SocketChannel upstream;
                    try {
                        upstream = SocketChannel.open(target);
                    } catch (IOException e) {
                        client.close();
                        continue;
                    }
                    open.add(client);
                    open.add(upstream);
                    pipe(client, upstream);
                    pipe(upstream, client);
                } catch (IOException e) {
                    return; // listener closed
                }
            }
        });
    }

    private void pipe(SocketChannel from, SocketChannel to) {
        Thread.ofVirtual().name("socket-proxy-pipe").start(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(16384);
            try {
                while (from.read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        to.write(buffer);
                    }
                    buffer.clear();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        });
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing
        }
    }

    public synchronized void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException e) {
            // closing
        }
        open.forEach(SocketProxy::closeQuietly);
        open.clear();
        if (listen instanceof UnixDomainSocketAddress u) {
            try {
                Files.deleteIfExists(u.getPath());
            } catch (IOException e) {
                // gone already
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
