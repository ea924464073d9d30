-- AlterTable: a draft and preorder made ahead of a slot (see apps/worker/src/prepare.ts)
ALTER TABLE "monitoring_tasks" ADD COLUMN "prepared_draft_id" TEXT,
ADD COLUMN "prepared_preorder_id" TEXT,
ADD COLUMN "prepared_at" TIMESTAMP(3);
