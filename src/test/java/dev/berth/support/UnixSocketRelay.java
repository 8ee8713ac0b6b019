package dev.berth.support;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A unix socket at {@code dir/name} that relays every connection to {@code target}, opened by this (root) process.
 * Lets a non-root client reach the local libvirtd's socket: libvirtd authorises a unix client by its peer credentials,
 * and without polkit (no D-Bus here) it lets only root in. The relay's socket is world-connectable; use it on
 * loopback-only test machines, and close it after the test.
 */
public final class UnixSocketRelay implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();

    public UnixSocketRelay(Path dir, String name, Path target) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        socket = dir.resolve(name);
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));
        Thread.ofVirtual().name("unix-relay").start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    SocketChannel upstream = SocketChannel.open(UnixDomainSocketAddress.of(target));
                    open.add(client);
                    open.add(upstream);
                    pipe(client, upstream);
                    pipe(upstream, client);
                } catch (IOException e) {
                    return; // closed
                }
            }
        });
    }

    public Path socket() {
        return socket;
    }

    private void pipe(SocketChannel from, SocketChannel to) {
        Thread.ofVirtual().start(() -> {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        to.write(buf);
                    }
                    buf.clear();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        });
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        closeQuietly(server);
        open.forEach(UnixSocketRelay::closeQuietly);
        Files.deleteIfExists(socket);
    }
}
