-- CreateIndex: the worker's sweep of newly opened slots looks tasks up by warehouse (apps/worker/src/sweep.ts)
CREATE INDEX "monitoring_tasks_warehouse_id_status_idx" ON "monitoring_tasks"("warehouse_id", "status");
