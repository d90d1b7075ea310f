package authgate.testdb;

import de.bwaldvogel.mongo.MongoServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;

/**
 * Starts mongo-java-server (memory backend) for authgate's tests: loopback only, on a port the kernel picks. Prints
 * one line {@code listening 127.0.0.1:PORT} on stdout once it accepts connections; test/kit/mongo/test-database.mjs
 * waits for that line. Stops on SIGTERM (the JVM's shutdown hook) and when its stdin closes: the test runner keeps
 * a pipe open to it, so a runner that crashes or is killed (SIGKILL included) leaves no JVM behind.
 *
 * <p>Arguments: {@code --replica-set NAME} makes {@code hello}/{@code isMaster} name a one-member replica set, so
 * the driver and authgate treat the server as one with change streams (the replica-set-only tests), and turns the
 * oplog on (change streams read it). Only then: the oplog grows without bound under one lock, and the main server
 * runs the whole suite in a 256 MiB heap.
 */
public final class Launcher {
  private Launcher() {}

  public static void main(String[] args) {
    String replicaSet = null;
    for (int i = 0; i < args.length; i++) {
      if ("--replica-set".equals(args[i]) && i + 1 < args.length) {
        replicaSet = args[++i];
      } else {
        System.err.println("usage: Launcher [--replica-set NAME]");
        System.exit(2);
      }
    }
    WireCompatibleBackend backend = new WireCompatibleBackend();
    MongoServer server = new MongoServer(backend);
    if (replicaSet != null) server.enableOplog();
    server.bind("127.0.0.1", 0);
    InetSocketAddress address = server.getLocalAddress();
    if (replicaSet != null) backend.actAsReplicaSet(replicaSet, "127.0.0.1:" + address.getPort());
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-java-server-shutdown"));
    exitWhenStdinCloses();
    System.out.println("listening 127.0.0.1:" + address.getPort());
    System.out.flush();
  }

  /** A daemon thread that ends the JVM (through the shutdown hook) once stdin reaches end of file. */
  private static void exitWhenStdinCloses() {
    Thread watcher = new Thread(() -> {
      InputStream in = System.in;
      try {
        while (in.read() != -1) {
          // The runner never writes; anything it sends is ignored.
        }
      } catch (IOException ignored) {
        // A broken pipe means the runner is gone, like end of file.
      }
      System.exit(0);
    }, "stdin-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }
}
