package authgate.testdb;

import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import java.util.List;

/**
 * The memory backend as MongoDB driver 7.x needs it. As shipped, mongo-java-server 1.47.0 reports wire version 8
 * (the driver requires 9, MongoDB 4.4) and has no {@code hello} command (the driver's and authgate's way to ask what
 * the server is, revocation-change-stream.ts). Here it reports 4.4 / wire 9 and answers {@code hello} with its
 * {@code isMaster} reply under the new field names. Nothing else changes: every other command is the library's own.
 */
final class WireCompatibleBackend extends MemoryBackend {
  /** MongoDB 4.4: the oldest server driver 7.x talks to. */
  private static final MongoVersion MONGO_4_4 = new MongoVersion() {
    @Override
    public List<Integer> getVersionArray() {
      return List.of(4, 4, 0);
    }

    @Override
    public int getWireVersion() {
      return 9;
    }
  };

  private volatile String replicaSetName;
  private volatile String address;

  WireCompatibleBackend() {
    version(MONGO_4_4);
  }

  /** Replies as the primary of a one-member replica set {@code name}, reachable at {@code hostPort}. */
  void actAsReplicaSet(String name, String hostPort) {
    this.address = hostPort;
    this.replicaSetName = name;
  }

  @Override
  public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
    boolean hello = command.equalsIgnoreCase("hello");
    if (!hello && !command.equalsIgnoreCase("ismaster")) {
      return super.handleCommand(channel, databaseName, command, query);
    }
    Document reply = super.handleCommand(channel, databaseName, "isMaster", query);
    if (hello) {
      Object writable = reply.remove("ismaster");
      Document renamed = new Document("isWritablePrimary", writable);
      renamed.putAll(reply);
      reply = renamed;
    }
    String setName = replicaSetName;
    if (setName != null) {
      reply.put("setName", setName);
      reply.put("setVersion", 1);
      reply.put("hosts", List.of(address));
      reply.put("primary", address);
      reply.put("me", address);
      reply.put("secondary", false);
    }
    return reply;
  }
}
