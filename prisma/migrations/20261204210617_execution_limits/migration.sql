-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "interruptions" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "timeout_ms" INTEGER;
