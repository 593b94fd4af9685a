-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "webhook" JSONB,
ADD COLUMN     "webhook_last_delivery" JSONB;
