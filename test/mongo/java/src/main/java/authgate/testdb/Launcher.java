package authgate.testdb;

import de.bwaldvogel.mongo.MongoServer;
import java.net.InetSocketAddress;

/**
 * Starts mongo-java-server (memory backend) for authgate's tests: loopback only, on a port the kernel picks, with its
 * oplog on (change streams need it). Prints one line {@code listening 127.0.0.1:PORT} on stdout once it accepts
 * connections; test/mongo/test-database.mjs waits for that line. Stops on SIGTERM (the JVM's shutdown hook).
 *
 * <p>Arguments: {@code --replica-set NAME} makes {@code hello}/{@code isMaster} name a one-member replica set, so
 * the driver and authgate treat the server as one with change streams (the replica-set-only tests).
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
    server.enableOplog();
    server.bind("127.0.0.1", 0);
    InetSocketAddress address = server.getLocalAddress();
    if (replicaSet != null) backend.actAsReplicaSet(replicaSet, "127.0.0.1:" + address.getPort());
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-java-server-shutdown"));
    System.out.println("listening 127.0.0.1:" + address.getPort());
    System.out.flush();
  }
}
