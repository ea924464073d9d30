import net from "node:net";

/**
 * Asks the OS for a free TCP port on 127.0.0.1.
 * @returns a port number that was free a moment ago
 */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the bound port"));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}
