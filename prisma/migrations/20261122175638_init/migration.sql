-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('queued', 'running', 'retrying', 'completed', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "batches" (
    "id" UUID NOT NULL,
    "client_id" UUID,
    "total_jobs" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "client_id" UUID,
    "batch_id" UUID,
    "generator" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "priority" INTEGER NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "current_step" TEXT NOT NULL DEFAULT 'queued',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "message" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL,
    "error" TEXT,
    "error_code" TEXT,
    "result_path" TEXT,
    "result_size" BIGINT,
    "result_files" INTEGER,
    "result_meta" JSONB,
    "next_attempt_at" TIMESTAMPTZ(3),
    "worker_id" TEXT,
    "cancel_requested_at" TIMESTAMPTZ(3),
    "idempotency_key" TEXT,
    "target" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "batches_client_id_id_idx" ON "batches"("client_id", "id" DESC);

-- CreateIndex
CREATE INDEX "jobs_status_priority_created_at_idx" ON "jobs"("status", "priority", "created_at");

-- CreateIndex
CREATE INDEX "jobs_client_id_id_idx" ON "jobs"("client_id", "id" DESC);

-- CreateIndex
CREATE INDEX "jobs_batch_id_idx" ON "jobs"("batch_id");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_client_id_idempotency_key_key" ON "jobs"("client_id", "idempotency_key");

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;
