-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "idempotency_key" TEXT,
ADD COLUMN     "request_hash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "batches_client_id_idempotency_key_key" ON "batches"("client_id", "idempotency_key");
